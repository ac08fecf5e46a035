"The benchmark's quick mode runs on a CPU, on a real CIFAR-10 subset, and writes every key it promises"
import json, subprocess, sys
from pathlib import Path
import pytest

KEYS = ['device', 'torch', 'reference_epoch_s', 'raw_epoch_s', 'fastai_epoch_s', 'fastai_vs_raw_epoch_ratio', 'time_to_fit_s',
        'fit_epoch', 'speedup_vs_reference', 'final_test_acc']


@pytest.mark.slow
def test_quick_benchmark_on_cpu(cifar10_subset, tmp_path):
    out = tmp_path / 'bench.json'
    bench = Path(__file__).resolve().parent.parent / 'bench' / 'memorize.py'
    subprocess.run([sys.executable, str(bench), '--data', str(cifar10_subset), '--quick', '--device', 'cpu', '--out', str(out)],
                   check=True, capture_output=True, timeout=600)
    r = json.loads(out.read_text())
    assert all(r.get(k) is not None for k in KEYS), [k for k in KEYS if r.get(k) is None]
    assert r['final_train_acc'] == 1.0 and r['fit_epoch'] >= 1, 'random labels were memorized'
    assert r['final_test_acc'] < 0.25 and abs(r['corrupt_frac_realized'] - 0.9) < 0.05
    # the CUDA-graph loop's step (on a CPU run eagerly) is PyTorch's SGD + OneCycleLR: same batches, same losses
    assert r['raw_graph_captured'] is False and abs(r['raw_graph_last_epoch_loss'] - r['raw_last_epoch_loss']) < 1e-4
