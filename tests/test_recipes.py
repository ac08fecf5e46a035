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
    "One thread for a small step; for a large one every core but one, or what OMP_NUM_THREADS (a user, Ray) set"
    mlp, wrn = step_mflops('mlp-1x512', 10, (1, 8, 8), 64), step_mflops('wrn-16-4', 10, (3, 32, 32), 32)
    assert mlp < THREADS_MIN_MFLOPS < wrn
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    with num_threads(4): assert (cpu_threads(mlp), cpu_threads(wrn)) == (1, 3)
    with num_threads(2): assert cpu_threads(wrn) == 1
    monkeypatch.setenv('OMP_NUM_THREADS', '4')
    with num_threads(4): assert (cpu_threads(mlp), cpu_threads(wrn)) == (1, 4)
