"The benchmarks' quick modes run on a CPU, on a real CIFAR-10 subset, and write every key they promise"
import json, subprocess, sys
from pathlib import Path
import pytest

BENCH = Path(__file__).resolve().parent.parent / 'bench'


def bench(script, *args, out):
    "Run `bench/script` with `args` on the CPU, writing JSON to `out`; its results"
    subprocess.run([sys.executable, str(BENCH / script), *args, '--out', str(out)], check=True, capture_output=True, timeout=600)
    return json.loads(out.read_text())


def missing(r, keys): return [k for k in keys if r.get(k) is None]


@pytest.mark.slow
def test_time_to_fit_quick_on_cpu(cifar10_subset, tmp_path):
    r = bench('time_to_fit.py', '--data', str(cifar10_subset), '--quick', '--device', 'cpu', out=tmp_path / 'fit.json')
    keys = ['device', 'host', 'cpus', 'torch', 'reference_epoch_s', 'time_to_fit_s', 'fit_epoch', 'speedup_vs_reference', 'setup_s']
    assert not missing(r, keys), missing(r, keys)
    assert r['final_train_acc'] == 1.0 and r['fit_epoch'] >= 1, 'random labels were memorized'
    assert r['final_test_acc'] < 0.25 and abs(r['corrupt_frac_realized'] - 0.9) < 0.05


@pytest.mark.slow
def test_epoch_cost_quick_on_cpu(cifar10_subset, tmp_path):
    r = bench('epoch_cost.py', '--data', str(cifar10_subset), '--quick', '--device', 'cpu', out=tmp_path / 'epoch.json')
    keys = ['raw_epoch_s', 'fastai_epoch_s', 'fastai_vs_raw_epoch_ratio', 'fastai_default_epoch_s', 'fastai_memorize_epoch_s']
    assert not missing(r, keys), missing(r, keys)
    # the CUDA-graph loop's step (on a CPU run eagerly) is PyTorch's SGD + OneCycleLR: same batches, same losses
    assert r['raw_graph_captured'] is False and abs(r['raw_graph_last_epoch_loss'] - r['raw_last_epoch_loss']) < 1e-4


@pytest.mark.slow
def test_cache_read_on_cpu(cifar10_subset, tmp_path):
    r = bench('cache_read.py', '--data', str(cifar10_subset), out=tmp_path / 'cache.json')
    assert not missing(r, ['load_s', 'load_cached_s']) and set(r['load_cached_parts_s']) == {'list', 'key', 'read'}


def _tiny_fastai_home(root):
    "A fastai data folder whose cifar10 and cifar100 are tiny synthetic image folders (what a dry run trains on)"
    from conftest import image_folder
    from randfit_fai.data import synthetic
    for name, k in (('cifar10', 10), ('cifar100', 20)):
        image_folder(root / 'data' / name, synthetic(n_train=120, n_test=120, n_classes=k, shape=(3, 32, 32)))
    return root


@pytest.mark.parametrize('call', [1, 2])
def test_device_run_dry_run(call, tmp_path):
    "The GPU lease's script runs every step on the CPU, so that on the GPU only the GPU can fail"
    import os
    env = {**os.environ, 'FASTAI_HOME': str(_tiny_fastai_home(tmp_path / 'fastai'))}
    p = subprocess.run([sys.executable, str(BENCH / 'device_run.py'), str(call), '--dry-run', '--out', str(tmp_path / 'out')],
                       capture_output=True, text=True, timeout=600, env=env, cwd=BENCH.parent)
    r = json.loads((tmp_path / 'out' / f'device_run_{call}.json').read_text())
    assert p.returncode == 0 and not [s for s in r['steps'].values() if 'error' in s], (p.stdout, p.stderr[-2000:], r)
    want = {1: ['cuda_tests', 'user_call'], 2: ['figure1', 'fp16', 'seeds']}[call]
    assert list(r['steps']) == want and r['dry_run'] and r['device'] == 'cpu'
    if call == 1: assert r['steps']['user_call']['result']['dataset'] == 'cifar100'
    else:
        assert len(r['steps']['figure1']['result']['rows']) == 9 and (tmp_path / 'out' / 'figure1.png').exists()
        assert [s['seed'] for s in r['steps']['seeds']['result']] == [0, 1, 2, 3, 4]
