"Recipes: batch sizes that leave enough steps, and the CPU thread rule"
import pytest
from randfit_fai.recipes import *


@pytest.mark.parametrize('shape,n,arch,device', [((3, 32, 32), 512, None, 'cpu'), ((3, 32, 32), 512, None, 'cuda'),
    ((3, 32, 32), 3000, None, 'cuda'), ((3, 32, 32), 3000, 'mlp-1x512', 'cpu'), ((1, 8, 8), 1437, None, 'cpu'),
    ((3, 32, 32), 50_000, None, 'cuda'), ((1, 28, 28), 10, 'alexnet', 'cpu')])
def test_default_batch_leaves_enough_steps(shape, n, arch, device):
    r = recipe_for(shape, n, arch, device)
    assert n // r['bs'] >= min(MIN_STEPS, n), r
    assert n % r['bs'] / n <= 1 / MIN_STEPS, 'at most a sixteenth of the images dropped in an epoch (a different one each epoch)'


def test_the_thread_rule(monkeypatch):
    "One thread for a small step; for a large one the cores others leave free (None: AdaptThreads), or OMP_NUM_THREADS's"
    import randfit_fai.recipes as recipes
    mlp, wrn = step_mflops('mlp-1x512', 10, (1, 8, 8), 64), step_mflops('wrn-16-4', 10, (3, 32, 32), 32)
    assert mlp < THREADS_MIN_MFLOPS < wrn
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    with num_threads(4): assert (cpu_threads(mlp), cpu_threads(wrn)) == (1, None)
    monkeypatch.setattr(recipes, 'CORES', 4)
    # quiet, a busy process, one sharing a core with a second thread, three busy processes, no /proc/stat
    assert [free_threads(b) for b in (0.0, 1.0, 0.6, 3.0, None)] == [4, 3, 3, 1, 3]
    monkeypatch.setattr(recipes, 'CORES', 2)
    assert [free_threads(b) for b in (0.05, 0.5, 1.0, None)] == [2, 1, 1, 1]
    monkeypatch.setenv('OMP_NUM_THREADS', '4')
    with num_threads(4): assert (cpu_threads(mlp), cpu_threads(wrn)) == (1, 4)


def test_adapt_threads_follows_a_busy_process(tmp_path):
    "A run of a large step computes with both cores of a quiet 2-core machine and with one beside a busy process"
    import subprocess, sys, time
    from randfit_fai.data import synthetic
    from randfit_fai.training import run
    if CORES < 2: pytest.skip('one core: nothing to adapt')
    a = cpu_busy(); time.sleep(0.5)
    if others_busy(a, cpu_busy()) > 0.2: pytest.skip('another process is busy: the quiet case cannot be measured')
    kw = dict(arch='mlp-3x512', corrupt=1.0, epochs=1, stop_at_fit=False, out=tmp_path, quiet=True, device='cpu')
    quiet = run('synthetic', name='quiet', **kw).summary['threads']
    p = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
    try: busy = run('synthetic', name='busy', **kw).summary['threads']
    finally: p.kill(); p.wait()
    assert (quiet, busy) == (CORES, CORES - 1), (quiet, busy)
