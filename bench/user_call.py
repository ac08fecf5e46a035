"""The user's call at the paper's scale on this machine: `randfit_fai.run(dataset='cifar100', corrupt=1.0)`, as written.

Claim measured: what the call costs and finds on a CPU at full size (50,000 training and 10,000 test images of
CIFAR-100, chance 1 %). On this project's 2-core CPU (AVX512-BF16, no AMX), torch 2.14.1, 2026-12-06
(`bench/results/cpu-2026-12-06-user-call-cifar100.json`): with the default WRN-16-4 (bf16, one thread) its first epoch
took 944 s (training 619 s, memorization pass 274 s), and `randfit` projected up to 825 min for its 60-epoch
schedule; with `--arch mlp-1x512` the 100-epoch schedule took 999 s and ended at 96.6 % of the random labels fitted
(not all), test accuracy 1.05 %, and with `--epochs 200` too, 1,369 s and 99.4 % (test 0.91 %).

The run is resumable: stop it at any time and run the same command again; finished epochs are kept.

    python bench/user_call.py [--arch mlp-1x512] [--epochs 200] [--out randfit_runs/user_call]

`cifar100` is fastai's: offline, put it (e.g. from `../shared/tools/materialize.py`) where the error message says.
"""
import argparse, json, time
import randfit_fai

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--arch')
    p.add_argument('--epochs', type=int)
    p.add_argument('--out', default='randfit_runs/user_call')
    a = p.parse_args()
    t = time.time()
    kw = {k: v for k, v in dict(arch=a.arch, epochs=a.epochs).items() if v}
    s = randfit_fai.run(dataset='cifar100', corrupt=1.0, resume=True, out=a.out, **kw).summary
    keys = ('arch', 'epochs', 'bs', 'lr', 'precision', 'threads', 'fitted', 'fit_epoch', 'fit_time_s', 'final_train_acc',
            'final_test_acc', 'epochs_run', 'device', 'hint')
    print(json.dumps({**{k: s[k] for k in keys}, 'wall_s': round(time.time() - t)}))
