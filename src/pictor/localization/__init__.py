"""Ad localization: the language/market catalog, prompt building, the localize job."""
