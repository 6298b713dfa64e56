"""The conversational studio: sessions of messages, each routed to a job."""
