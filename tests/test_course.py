"The course's exercises: every self-check passes the reference solution and fails wrong answers; the student copy has no solutions"
import json, math, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
from randfit_fai.course import *
from randfit_fai.data import RandData, digits

COURSE = Path(__file__).resolve().parent.parent / 'nbs' / 'course'
LESSONS = sorted(p for p in COURSE.glob('0*.ipynb'))


def _band(k, n, z=3):
    p = 1 / k; s = math.sqrt(p * (1 - p) / n)
    return p - z * s, p + z * s

def test_chance_band():
    assert check_chance_band(_band).startswith('Correct')
    for wrong in (lambda k, n: _band(k, n, z=2), lambda k, n: (0.1, 0.1), lambda k, n: (1 / k, 1 / k + 3 * math.sqrt(1 / n)), lambda k, n: None):
        with pytest.raises(AssertionError, match='Not yet'): check_chance_band(wrong)


def test_changed_fraction():
    rd = RandData(digits(), corrupt=.6, seed=1)
    assert check_changed_fraction(float(rd.corrupted.mean()), rd).startswith('Correct')
    assert check_changed_fraction(torch.tensor(rd.corrupted.mean()), rd).startswith('Correct')
    for wrong in (.6, 1 - rd.corrupted.mean(), 'x', None):
        with pytest.raises(AssertionError, match='Not yet'): check_changed_fraction(wrong, rd)


def test_first_fit_medians():
    rng = np.random.default_rng(0)
    c = rng.random(100) < .5; e = np.where(c, rng.integers(20, 60, 100), rng.integers(1, 10, 100))
    assert check_first_fit_medians((np.median(e[~c]), np.median(e[c])), e, c).startswith('Correct')
    for wrong in ((np.median(e[c]), np.median(e[~c])), (np.mean(e[~c]), np.mean(e[c])), np.median(e), None):
        with pytest.raises(AssertionError, match='Not yet'): check_first_fit_medians(wrong, e, c)


def test_shuffle():
    assert check_shuffle(lambda x, p: x.flatten(2)[..., p].reshape(x.shape)).startswith('Correct')
    wrongs = (lambda x, p: x, lambda x, p: x.flatten(1)[..., torch.randperm(x[0].numel())].reshape(x.shape),
              lambda x, p: x.flatten(2)[..., torch.argsort(p)].reshape(x.shape), lambda x, p: x.flatten(2)[..., p])
    for wrong in wrongs:
        with pytest.raises(AssertionError, match='Not yet'): check_shuffle(wrong)


def test_gaps():
    t = pd.DataFrame(dict(train_acc=[100., 100., 99.5], test_acc=[97.8, 10.3, 9.9]))
    assert check_gaps(list(t.train_acc - t.test_acc), t).startswith('Correct')
    for wrong in (list(t.test_acc - t.train_acc), [2.2, 89.7], list(t.train_acc / t.test_acc)):
        with pytest.raises(AssertionError, match='Not yet'): check_gaps(wrong, t)


def test_param_count():
    assert check_param_count(lambda n, d, k: d + n + n * k).startswith('Correct')
    for wrong in (lambda n, d, k: 2 * n + d, lambda n, d, k: n * d + n * k, lambda n, d, k: d + n * k):
        with pytest.raises(AssertionError, match='Not yet'): check_param_count(wrong)


def test_min_norm():
    assert check_min_norm(lambda X, y: np.linalg.pinv(X) @ y).startswith('Correct')
    def other(X, y):  # fits, but has a component X cannot see
        v = np.ones(X.shape[1]); v -= np.linalg.pinv(X) @ (X @ v)
        return np.linalg.pinv(X) @ y + v
    for wrong in (other, lambda X, y: X.T @ y, lambda X, y: None):
        with pytest.raises(AssertionError, match='Not yet'): check_min_norm(wrong)


def test_every_lesson_has_checked_exercises_and_the_parts_of_a_lesson():
    assert len(LESSONS) == 6
    for p in LESSONS:
        cells = json.loads(p.read_text())['cells']
        src = [''.join(c['source']) for c in cells]
        sols = [i for i, s in enumerate(src) if SOLUTION in s]
        assert sols, f'{p.name} has no exercise'
        for i in sols: assert 'check_' in src[i + 1], f'{p.name}: the solution in cell {i} is not followed by its check'
        text = '\n'.join(src)
        for part in ('**What you will learn.**', '**Time.**', '## Questionnaire', '## Further research', '#| slow'):
            assert part in text, f'{p.name} lacks {part!r}'


def test_student_copy_removes_every_solution_and_its_checks_then_fail(tmp_path):
    "From any folder, with no --src: the lessons come with the package"
    out = subprocess.run(['randfit-student', 'mine'], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    n = sum(''.join(c['source']).count(SOLUTION) for p in LESSONS for c in json.loads(p.read_text())['cells'])
    assert out.startswith(f'{n} solutions removed')
    nb = json.loads((tmp_path / 'mine' / '05_expressivity.ipynb').read_text())
    stub = next(''.join(c['source']) for c in nb['cells'] if 'def param_count' in ''.join(c['source']))
    assert SOLUTION not in stub and 'return' not in stub
    ns = {}; exec(stub, ns)  # what a student starts from runs, and its check says "Not yet"
    with pytest.raises(AssertionError, match='Not yet'): check_param_count(ns['param_count'])
    for p in LESSONS: assert SOLUTION not in (tmp_path / 'mine' / p.name).read_text()
    with pytest.raises(FileNotFoundError, match='no lesson notebooks'): student_copy(tmp_path / 'nothing', tmp_path / 'x')
    bad = subprocess.run(['randfit-student', 'x', '--src', 'nothing'], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 1 and "no lesson notebooks in 'nothing'" in bad.stderr and 'Traceback' not in bad.stderr
