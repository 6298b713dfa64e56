"""The inpainter plug-in family: fill a masked region of an image.

``base`` holds the Protocol, ``opencv`` the weight-free engine, ``onnx`` the engine for a
LaMa-style model file the user brings, ``mask`` how masks are built and cleaned, and
``reverse_alpha`` the exact removal of known watermark templates.
"""
