"""Accelerators: :class:`GPU` specifications (peak FLOP/s, power, prices) and the :data:`GPUS` table."""

from __future__ import annotations

from dataclasses import dataclass

from .constants import (
    B200_PEAK, B200_PURCHASE, B200_TDP, H100_PEAK, H100_PURCHASE, H100_RENTAL_MEDIAN, H100_SERVER_POWER,
    H100_TDP, H200_PEAK, H200_PURCHASE, H200_TDP, OTHER_SERVER_POWER,
)


@dataclass(frozen=True)
class GPU:
    """An accelerator: dense BF16 peak, board power and (optional) default prices.

    ``purchase_price`` is the hardware value per GPU including its share of the server
    (Epoch's convention for DGX/HGX prices); ``rental_price`` is a default $/GPU-hour (None when
    the shipped data has no representative quote: pass ``price_per_gpu_hour`` yourself).
    ``server_power`` multiplies the GPU's TDP to give its server's power.
    ``epoch_name`` is the name in Epoch AI's chip and price tables.
    """

    name: str
    peak_flop_per_s: float
    tdp_w: float
    purchase_price: float | None = None
    rental_price: float | None = None
    server_power: float = OTHER_SERVER_POWER.value
    epoch_name: str | None = None


GPUS: dict[str, GPU] = {
    "H100": GPU("H100", H100_PEAK.value, H100_TDP.value, H100_PURCHASE.value,
                H100_RENTAL_MEDIAN.value, H100_SERVER_POWER.value, "NVIDIA H100 SXM5 80GB"),
    "H200": GPU("H200", H200_PEAK.value, H200_TDP.value, H200_PURCHASE.value, None,
                OTHER_SERVER_POWER.value, "NVIDIA H200 SXM"),
    "B200": GPU("B200", B200_PEAK.value, B200_TDP.value, B200_PURCHASE.value, None,
                OTHER_SERVER_POWER.value, "NVIDIA B200"),
}


def _gpu(gpu: str | GPU) -> GPU:
    if isinstance(gpu, GPU):
        return gpu
    if isinstance(gpu, str) and gpu.strip().upper() in GPUS:
        return GPUS[gpu.strip().upper()]
    known = ", ".join(GPUS)
    raise ValueError(
        f"gpu={gpu!r} is not a known GPU; known: {known} (or pass a scalinglaws.capex.GPU)"
    )
