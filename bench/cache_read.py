"""How long does reading an image folder take, decoded the first time and from its cache after?

Claim: a data set's second read comes from its cache in about a second or less on a CPU, one `stat` per file (the
cache key) included. Measured on this project's 2-core CPU, 2026-11-27 (`bench/results/README.md`, then from
`bench/memorize.py`): the cached read of CIFAR-10 (60,000 images) took 0.39 s, against 1.11 s before the folder was
listed with `os.walk`. The H200 machines took 5.1–9.7 s for the older listing (`load_cached_s` in quick-v1 … v7).

`load_cached_parts_s` splits a cached read into listing the files, the cache key and reading the tensors.

    python bench/cache_read.py --data PATH/cifar10 [--out FILE]
"""
import argparse, time
from pathlib import Path
import torch
import randfit_fai
from randfit_fai.data import get_dataset, image_files, cache_file, load_cache
from common import machine, save_json


def cache_read_parts(path):
    "Seconds of each part of a cached read of folder `path`: listing, the cache key (a stat per file), the tensors"
    t0 = time.perf_counter()
    files = image_files(path)
    t1 = time.perf_counter()
    fn = cache_file(path, files, None)
    t2 = time.perf_counter()
    load_cache(fn)
    return dict(list=t1 - t0, key=t2 - t1, read=time.perf_counter() - t2)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True, help='an image folder in fastai layout')
    p.add_argument('--out', help='write the results as JSON here')
    a = p.parse_args()
    res = dict(**machine(torch.device('cpu')), torch=torch.__version__, randfit_fai=randfit_fai.__version__,
               date=time.strftime('%Y-%m-%d'))
    t = time.perf_counter()
    get_dataset(a.data)
    res['load_s'] = time.perf_counter() - t
    t = time.perf_counter()
    get_dataset(a.data)
    res['load_cached_s'] = time.perf_counter() - t
    res['load_cached_parts_s'] = cache_read_parts(Path(a.data))
    for k in ('load_s', 'load_cached_s', 'load_cached_parts_s'): print(f'{k:20s} {res[k]}')
    save_json(res, a.out)
