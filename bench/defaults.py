"""Do `run()`'s defaults fit random labels on real data subsets, for every network family, on this machine?

Claim measured (issue: defaults that memorize anywhere): with only `arch`, `subset` and `corrupt=1.0` given — batch size,
learning rate and epoch budget left to `recipe_for` — each run reaches 100 % training accuracy while its test accuracy
stays at chance. One row per data set × subset size × arch: epochs to fit, steps per epoch, seconds, accuracies.
Measured on this project's 2-core CPU, 2026-11-29 (`bench/results/cpu-2026-11-29-defaults.json`, `…-ceiling.json`):
all twelve 1,000-image runs (MNIST, CIFAR-10, CIFAR-100 × mlp-1x512, mlp-3x512, alexnet, wrn-10-1) fitted, at epochs
25–52, test accuracy at chance; at 10,000 images the MLP fitted CIFAR-10 at epoch 75 and CIFAR-100 at epoch 82, at the
ceiling two identical images with different labels leave (99.99 %).

    python bench/defaults.py --root PATH [--datasets cifar10 mnist] [--sizes 1000 10000] [--archs mlp-1x512 alexnet]
                             [--test_subset 2000] [--out bench/results/cpu-DATE-defaults.json]

PATH holds the data sets in fastai's layout (`cifar10/`, `cifar100/`, `mnist_png/`), e.g. as `../shared/tools/materialize.py`
writes them. Rows already in `--out` are kept and not run again, so an interrupted measurement continues.
"""
import argparse, json, tempfile, time
from pathlib import Path

from randfit_fai.data import get_dataset
from randfit_fai.training import run
from common import machine
import torch

FOLDERS = dict(cifar10='cifar10', cifar100='cifar100', mnist='mnist_png')

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--out')
    p.add_argument('--datasets', nargs='+', default=list(FOLDERS), choices=list(FOLDERS))
    p.add_argument('--sizes', nargs='+', type=int, default=[1000])
    p.add_argument('--archs', nargs='+', default=['mlp-1x512', 'mlp-3x512', 'alexnet', 'wrn-10-1'])
    p.add_argument('--test_subset', type=int, default=2000, help='test images per run (stratified; 0: the whole test set)')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    out = Path(a.out) if a.out else None
    rows = json.loads(out.read_text()) if out and out.exists() else []
    done = {(r['dataset'], r['subset'], r['arch']) for r in rows}
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    for name in a.datasets:
        ds = get_dataset(Path(a.root) / FOLDERS[name]); ds.name = name
        for n in a.sizes:
            for arch in a.archs:
                if (name, n, arch) in done: continue
                t0 = time.perf_counter()
                r = run(name, corrupt=1.0, arch=arch, subset=n, test_subset=a.test_subset or None, seed=a.seed, data=ds,
                        out=tempfile.mkdtemp(), quiet=True, device=dev)
                s = r.summary
                rows.append(dict(dataset=name, subset=n, arch=arch, **{k: s[k] for k in ('bs', 'lr', 'epochs', 'steps_per_epoch',
                            'fitted', 'fit_epoch', 'final_train_acc', 'final_test_acc', 'n_test', 'n_classes', 'seed')},
                            seconds=round(time.perf_counter() - t0, 1), **machine(dev), date=time.strftime('%Y-%m-%d')))
                print(json.dumps(rows[-1]), flush=True)
                if out: out.write_text(json.dumps(rows, indent=1))
