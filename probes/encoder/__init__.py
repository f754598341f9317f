"""Concept encoder toolkit: corpus, collection, TopK encoder, training, labels, card, ONNX."""
