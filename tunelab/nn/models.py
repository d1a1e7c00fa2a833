"""The two built-in networks: an MLP for tables and a small CNN for small images (e.g. 8x8 digits)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU, "leaky_relu": nn.LeakyReLU}


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


class MLP(nn.Sequential):
    """layers x (Linear -> [BatchNorm] -> activation -> Dropout), then a Linear head."""

    def __init__(self, n_inputs: int, n_outputs: int, layers: int = 2, width: int = 128, activation: str = "relu",
                 dropout: float = 0.0, batch_norm: bool = False):
        blocks: list[nn.Module] = []
        prev = n_inputs
        for _ in range(layers):
            blocks.append(nn.Linear(prev, width))
            if batch_norm:
                blocks.append(nn.BatchNorm1d(width))
            blocks.append(_activation(activation))
            if dropout > 0:
                blocks.append(nn.Dropout(dropout))
            prev = width
        blocks.append(nn.Linear(prev, n_outputs))
        super().__init__(*blocks)


class SmallCNN(nn.Module):
    """conv_layers x (3x3 conv -> [BatchNorm] -> activation -> 2x2 max-pool while the image allows),
    then Dropout -> Linear(width) -> activation -> Linear head.  Rows arrive flat and are reshaped."""

    def __init__(self, image_shape: tuple[int, int, int], n_outputs: int, conv_layers: int = 2, channels: int = 32,
                 width: int = 128, activation: str = "relu", dropout: float = 0.0, batch_norm: bool = False):
        super().__init__()
        self.image_shape = tuple(image_shape)
        c, h, w = self.image_shape
        blocks: list[nn.Module] = []
        for i in range(conv_layers):
            out = channels * (2 ** i)
            blocks.append(nn.Conv2d(c, out, kernel_size=3, padding=1))
            if batch_norm:
                blocks.append(nn.BatchNorm2d(out))
            blocks.append(_activation(activation))
            if min(h, w) >= 4:
                blocks.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
            c = out
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(c * h * w, width),
                                  _activation(activation), nn.Linear(width, n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.reshape(x.shape[0], *self.image_shape)))


MLP_KEYS = ("layers", "width", "activation", "dropout", "batch_norm")
CNN_KEYS = ("conv_layers", "channels", "width", "activation", "dropout", "batch_norm")


def architecture(config: dict[str, Any], n_inputs: int, n_outputs: int,
                 image_shape: tuple[int, ...] | None) -> dict[str, Any]:
    """The JSON-able arguments that rebuild the network of a training config (saved with the model)."""
    kind = config.get("model", "mlp")
    if kind == "mlp":
        return {"model": "mlp", "n_inputs": n_inputs, "n_outputs": n_outputs,
                **{k: config[k] for k in MLP_KEYS if k in config}}
    if kind == "cnn":
        if image_shape is None:
            raise ValueError("model 'cnn' needs image data (e.g. dataset 'digits'); this data set has no image shape")
        return {"model": "cnn", "image_shape": list(image_shape), "n_outputs": n_outputs,
                **{k: config[k] for k in CNN_KEYS if k in config}}
    raise ValueError(f"unknown model {kind!r}; expected 'mlp' or 'cnn'")


def build_model(arch: dict[str, Any]) -> nn.Module:
    """A network from :func:`architecture`'s record."""
    args = {k: v for k, v in arch.items() if k != "model"}
    if arch["model"] == "mlp":
        return MLP(**args)
    args["image_shape"] = tuple(args["image_shape"])
    return SmallCNN(**args)
