"""One GPU lease, prepared: the steps of a GPU session, most valuable first, each timed, each error recorded, not fatal.

Call 1 (carry CIFAR-100): the `cuda` tests, then the user's call `run(dataset='cifar100', corrupt=1.0)` as written.
Call 2 (carry CIFAR-10): Figure 1 with the default WRN (`sweep`, `figure_1`, `table1`), the fp16 path a Colab T4 takes
(forced: fp16 with loss scaling, eager steps), and time to fit for seeds 0–4.

    python bench/device_run.py 1|2 --out DIR [--budget-s 480] [--dry-run]

The datasets are read as `run()` reads them, through fastai's data folder (`$FASTAI_HOME/data/cifar10`, `cifar100`):
`bench/device_run.sh` materializes the carried archive there. Results go to `DIR/device_run_<call>.json` after every
step (a step that would start past `--budget-s` is skipped, so the call ends inside the lease), with `figure1.png`.
`--dry-run` runs every step on the CPU with tiny sizes (100 training and 100 test images, 1 epoch) on whatever
`$FASTAI_HOME` holds, so that only the GPU can fail: `tests/test_bench.py` runs it on a tiny synthetic folder.
"""
import argparse, datetime, json, subprocess, sys, time, traceback
from pathlib import Path
from unittest import mock
import torch
import randfit_fai
from randfit_fai.sweeps import sweep, figure_1, table1
from randfit_fai.training import run

KEYS = ('dataset', 'arch', 'corrupt', 'randomize', 'seed', 'epochs', 'bs', 'lr', 'precision', 'graph', 'device',
        'fitted', 'fit_epoch', 'fit_time_s', 'final_train_acc', 'final_test_acc', 'n_train', 'n_test', 'hint')


def summary(r): return {k: r.summary.get(k) for k in KEYS}


def cuda_tests(out, kw):
    "The `cuda` tests (and the device-sync test): their log's tail and exit status"
    if kw: return dict(skipped='dry run: CI runs these tests on the CPU')
    p = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/test_cuda.py',
                        'tests/test_sync.py'], capture_output=True, text=True)
    (out / 'cuda_tests.log').write_text(p.stdout + p.stderr)
    return dict(returncode=p.returncode, tail=p.stdout.strip().splitlines()[-3:])


def user_call(out, kw):
    "`run(dataset='cifar100', corrupt=1.0)` with the defaults"
    return summary(run(dataset='cifar100', corrupt=1.0, out=out / 'runs', resume=True, quiet=True, **kw))


def figure1(out, kw):
    "Figure 1 on CIFAR-10 with the default network: six corruption levels, three input randomizations"
    df = sweep('cifar10', corrupts=[0, .2, .4, .6, .8, 1], randomize=[None, 'shuffled_pixels', 'random_pixels',
               'gaussian'], out=out / 'runs' / 'figure1', **kw)
    figure_1(df, out / 'figure1.png')
    return dict(rows=[{k: r.get(k) for k in KEYS} for r in df.to_dict('records')],
                table1=table1(df).to_dict('records'))


def fp16(out, kw):
    "Random labels on the path a GPU without native bf16 takes: fp16, a loss scaler, eager steps"
    with mock.patch('randfit_fai.engine.native_bf16', return_value=False):
        return summary(run('cifar10', corrupt=1.0, out=out / 'runs' / 'fp16', resume=True, quiet=True, **kw))


def seeds(out, kw):
    "Time to fit random labels for seeds 0–4"
    return [summary(run('cifar10', corrupt=1.0, seed=s, out=out / 'runs' / 'seeds', resume=True, quiet=True, **kw))
            for s in range(5)]


CALLS = {1: [cuda_tests, user_call], 2: [figure1, fp16, seeds]}


def main(call: int, out: Path, budget_s: float = 480, dry_run: bool = False) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    kw = dict(device='cpu', subset=100, test_subset=100, epochs=1) if dry_run else {}
    dev = torch.cuda.get_device_name() if torch.cuda.is_available() and not dry_run else 'cpu'
    res = dict(call=call, date=datetime.date.today().isoformat(), device=dev, dry_run=dry_run,
               version=randfit_fai.__version__, torch=torch.__version__, steps={})
    t0 = time.perf_counter()
    for step in CALLS[call]:
        if time.perf_counter() - t0 > budget_s:
            res['steps'][step.__name__] = dict(skipped=f'past the {budget_s:g} s budget')
            continue
        t = time.perf_counter()
        try: got = dict(result=step(out, kw))
        except Exception as e: got = dict(error=f'{type(e).__name__}: {e}', traceback=traceback.format_exc()[-2000:])
        res['steps'][step.__name__] = dict(**got, wall_s=round(time.perf_counter() - t, 1))
        (out / f'device_run_{call}.json').write_text(json.dumps(res, indent=1, default=str))
        print(step.__name__, 'error' if 'error' in got else 'ok', res['steps'][step.__name__]['wall_s'], 's', flush=True)
    return res


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('call', type=int, choices=list(CALLS))
    p.add_argument('--out', type=Path, required=True)
    p.add_argument('--budget-s', type=float, default=480)
    p.add_argument('--dry-run', action='store_true')
    a = p.parse_args()
    res = main(a.call, a.out, a.budget_s, a.dry_run)
    sys.exit(1 if any('error' in s for s in res['steps'].values()) else 0)
