"""Data tooling: reading VOC-layout images and masks, preparing PASCAL, and `data verify`'s checks."""
