#!/usr/bin/env python3
"""Builds deconflict's bundled ground grid (crates/geometry/data/ground-etopo5-quarter-degree.i16.zst)
from NOAA's ETOPO5 as Debian's `ferret-datasets` package ships it.

It is run by hand, never at build or run time; its output is committed. To run it again:

    apt-get download ferret-datasets && dpkg-deb -x ferret-datasets_*.deb x
    python3 -m venv v && v/bin/pip install numpy scipy
    v/bin/python scripts/ground-grid.py x/usr/share/ferret-vis/data/etopo5.cdf out.i16
    zstd -19 out.i16 -o crates/geometry/data/ground-etopo5-quarter-degree.i16.zst

Output: two grids of 720 rows (from 90° S northwards) × 1440 columns (from 0° E eastwards) of
little-endian i16 metres, cells of 0.25°: first each cell's lowest surface, then its highest,
over the ETOPO5 samples in the cell and one sample beyond each edge (so a sample between two
cells counts for both). Below −431 m (the Dead Sea shore, the lowest exposed surface on Earth)
is the sea floor, so the lowest is clamped there; below 0 m the highest is the sea surface, so
it is clamped to 0. How deconflict widens these into a conservative bound is in
`crates/geometry/src/ground.rs`.
"""
import sys

import numpy as np
from scipy.io import netcdf_file

source, output = sys.argv[1], sys.argv[2]
rose = np.array(netcdf_file(source, "r", mmap=False).variables["ROSE"][:], dtype=np.float64)
assert rose.shape == (2161, 4320), rose.shape  # 5' samples, 90° S..90° N × 0° E..359°55' E
per_degree = 12
cell = 0.25
rows, cols = int(180 / cell), int(360 / cell)
lowest = np.maximum(rose, -431.0)
highest = np.maximum(rose, 0.0)
low = np.zeros((rows, cols))
high = np.zeros((rows, cols))
for i in range(rows):
    south = -90 + i * cell
    r0 = int(round((south + 90) * per_degree)) - 1
    r1 = int(round((south + cell + 90) * per_degree)) + 1
    rr = np.clip(np.arange(r0, r1 + 1), 0, rose.shape[0] - 1)
    for j in range(cols):
        west = j * cell
        cc = np.arange(int(round(west * per_degree)) - 1, int(round((west + cell) * per_degree)) + 2) % rose.shape[1]
        low[i, j] = lowest[np.ix_(rr, cc)].min()
        high[i, j] = highest[np.ix_(rr, cc)].max()
with open(output, "wb") as out:
    out.write(np.floor(low).astype("<i2").tobytes())
    out.write(np.ceil(high).astype("<i2").tobytes())
