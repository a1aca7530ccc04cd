"""Run by tests/test_training.py under torchrun: train the tiny model with DistributedDataParallel."""

import sys

import torch

from synsp.data.corpus import embedded_corpus_path
from synsp.training import TrainConfig, train

NO_DROPOUT_TINY = dict(d_model=16, d_inner=16, n_layers=1, n_head=2, d_k=8, d_v=8, input_residual=True,
                       frequency_output=True, query_positions=True, spectral_skip=True, dropout=0.0,
                       attn_dropout=0.0)


def tiny_config(out: str) -> TrainConfig:
    return TrainConfig(name="tiny", model=NO_DROPOUT_TINY, corpus=str(embedded_corpus_path()), train_split="test",
                       val_split="test", epochs=2, windows_per_epoch=64, batch_size=32, val_frames=150, out=out)


if __name__ == "__main__":
    torch.set_num_threads(1)
    train(tiny_config(sys.argv[1]), progress=False)
