"The benchmark's quick mode runs on a CPU, on a real CIFAR-10 subset, and writes every key it promises"
import json, subprocess, sys
import numpy as np
from pathlib import Path
import pytest

KEYS = ['device', 'torch', 'reference_epoch_s', 'raw_epoch_s', 'fastai_epoch_s', 'fastai_vs_raw_epoch_ratio', 'time_to_fit_s',
        'fit_epoch', 'speedup_vs_reference', 'final_test_acc', 'setup_s', 'load_cached_s', 'load_cached_parts_s', 'host', 'cpus']


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


def test_graph_step_resumes_exactly(tmp_path, disconnect_after):
    "`GraphStep`'s momentum buffers are the optimizer's state, so a checkpoint holds them (on a CPU it steps eagerly)"
    from randfit_fai.run import run
    DisconnectAfter, Disconnect = disconnect_after
    kw = dict(corrupt=1.0, epochs=4, stop_at_fit=False, quiet=True, out=tmp_path, graph=True)
    whole = run('digits', name='whole', **kw).history
    with pytest.raises(Disconnect): run('digits', name='cut', cbs=DisconnectAfter(2), **kw)
    resumed = run('digits', name='cut', resume=True, **kw)
    assert resumed.summary['graph'] and resumed.summary['resumed_at_epoch'] == 2
    assert np.allclose(resumed.history.train_loss, whole.train_loss, rtol=1e-5, atol=0)
