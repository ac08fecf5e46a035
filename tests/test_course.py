"The course's exercises: every self-check passes the reference solution and fails wrong answers; the student copy has no solutions"
import json, math, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
from randfit_fai.course import *
from randfit_fai.paper import RandData
from randfit_fai.data import digits
from randfit_fai.paper import served_labels

COURSE = Path(__file__).resolve().parent.parent / 'nbs' / 'course'
LESSONS = sorted(p for p in COURSE.glob('0*.ipynb'))


def _band(k, n, z=3):
    p = 1 / k; s = math.sqrt(p * (1 - p) / n)
    return p - z * s, p + z * s

def test_chance_band():
    assert check_chance_band(_band).startswith('Correct')
    for wrong in (lambda k, n: _band(k, n, z=2), lambda k, n: (0.1, 0.1), lambda k, n: (1 / k, 1 / k + 3 * math.sqrt(1 / n)), lambda k, n: None):
        with pytest.raises(AssertionError, match='Not yet'): check_chance_band(wrong)


def _changed(dl, d): return (served_labels(dl) != torch.as_tensor(d.y_clean)).float().mean()

def test_changed_fraction():
    "Every scalar form of the right answer passes; an answer read from `data` instead of the loader fails"
    rd = RandData(digits(), corrupt=.6, seed=1)
    forms = (_changed, lambda dl, d: float(_changed(dl, d)), lambda dl, d: _changed(dl, d).numpy(),  # a 0-d array
             lambda dl, d: np.float32(_changed(dl, d)), lambda dl, d: _changed(dl, d).reshape(1))
    for f in forms: assert check_changed_fraction(f, rd).startswith('Correct')
    wrongs = (lambda dl, d: d.corrupted.mean(),  # right on rd's loader, but never reads the loader: 0.55 on a clean one
              lambda dl, d: (served_labels(dl) != torch.as_tensor(d.y)).float().mean(),  # against the drawn labels
              lambda dl, d: .6, lambda dl, d: 1 - _changed(dl, d), lambda dl, d: 'x', lambda dl, d: None)
    for f in wrongs:
        with pytest.raises(AssertionError, match='Not yet'): check_changed_fraction(f, rd)


@pytest.fixture(scope='module')
def half_run(tmp_path_factory):
    "A short corrupt=0.5 digits run with first-fit epochs: some images are never fitted (-1)"
    from randfit_fai.training import run
    return run('digits', corrupt=.5, epochs=20, stop_at_fit=False, first_fit=True, quiet=True,
               out=tmp_path_factory.mktemp('first_fit'))


def test_first_fit_medians(half_run):
    data = RandData(digits(), corrupt=.5, seed=0)
    e, c = np.load(half_run.path / 'first_fit_epoch.npy').astype(int), data.corrupted
    ok = e >= 0
    assert (~ok).any() and ok.any(), 'some images fitted, some never: the check must leave out the -1s'
    right = (np.median(e[ok & ~c]), np.median(e[ok & c]))
    for form in (right, list(right), np.array(right), torch.tensor(right)):
        msg = check_first_fit_medians(form, half_run, data)
        assert msg.startswith('Correct') and ('fitted first' in msg) == (right[0] < right[1])
    wrongs = (right[::-1], (np.median(e[~c]), np.median(e[c])), (np.mean(e[ok & ~c]), np.mean(e[ok & c])),
              np.median(e[ok]), None)
    for wrong in wrongs:
        assert wrong is None or np.size(wrong) != 2 or not np.allclose(wrong, right), wrong
        with pytest.raises(AssertionError, match='Not yet'): check_first_fit_medians(wrong, half_run, data)
    other = RandData(digits(), corrupt=.5, seed=1)  # the mask of labels this run did not train on
    with pytest.raises(AssertionError, match='does not draw the labels this run trained on'):
        check_first_fit_medians(right, half_run, other)


def test_shuffle():
    assert check_shuffle(lambda x, p: x.flatten(2)[..., p].reshape(x.shape)).startswith('Correct')
    wrongs = (lambda x, p: x, lambda x, p: x.flatten(1)[..., torch.randperm(x[0].numel())].reshape(x.shape),
              lambda x, p: x.flatten(2)[..., torch.argsort(p)].reshape(x.shape), lambda x, p: x.flatten(2)[..., p])
    for wrong in wrongs:
        with pytest.raises(AssertionError, match='Not yet'): check_shuffle(wrong)


def test_gaps():
    t = pd.DataFrame(dict(corrupt=[0., 1., 0.], train_acc=[100., 100., 99.5], test_acc=[97.8, 10.3, 96.9]))
    g = t.train_acc - t.test_acc
    for form in (list(g), g, g.to_numpy(), torch.tensor(g.to_numpy()), tuple(g)):
        assert 'larger than every gap with true labels' in check_gaps(form, t)
    u = pd.DataFrame(dict(corrupt=[0., 1., 1.], train_acc=[100., 100., 60.], test_acc=[50., 10., 12.]))
    msg = check_gaps(list(u.train_acc - u.test_acc), u)  # a random-label gap below a true-label one: said so
    assert msg.startswith('Correct') and 'larger than every' not in msg and 'do not all exceed' in msg
    for wrong in (list(t.test_acc - t.train_acc), [2.2, 89.7], list(t.train_acc / t.test_acc), None, 'x'):
        with pytest.raises(AssertionError, match='Not yet'): check_gaps(wrong, t)


def test_rademacher():
    for right in (lambda a: np.mean(2 * np.asarray(a) - 1), lambda a: float(np.mean(2 * np.asarray(a) - 1)),
                  lambda a: torch.tensor(a).mul(2).sub(1).mean(), lambda a: np.array(np.mean(2 * np.asarray(a) - 1))):
        assert check_rademacher(right).startswith('Correct')
    wrongs = (lambda a: np.mean(a), lambda a: np.max(2 * np.asarray(a) - 1), lambda a: np.mean(1 - np.asarray(a)),
              lambda a: 2 * np.asarray(a) - 1, lambda a: None)
    for wrong in wrongs:
        with pytest.raises(AssertionError, match='Not yet'): check_rademacher(wrong)


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
    assert len(LESSONS) == 7
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
    for p in LESSONS:
        text = (tmp_path / 'mine' / p.name).read_text()
        assert SOLUTION not in text and 'Correct:' not in text, f'{p.name} gives an answer away'
    refused = subprocess.run(['randfit-student', 'mine'], capture_output=True, text=True, cwd=tmp_path)
    assert refused.returncode == 1 and "'mine' is not empty" in refused.stderr and 'Traceback' not in refused.stderr
    target = tmp_path / 'elsewhere.txt'; target.write_text('keep me')
    (tmp_path / 'mine' / LESSONS[0].name).unlink(); (tmp_path / 'mine' / LESSONS[0].name).symlink_to(target)
    subprocess.run(['randfit-student', 'mine', '--overwrite'], capture_output=True, check=True, cwd=tmp_path)
    assert target.read_text() == 'keep me', 'a link planted in the folder was written through'
    assert not (tmp_path / 'mine' / LESSONS[0].name).is_symlink()
    with pytest.raises(FileNotFoundError, match='no lesson notebooks'): student_copy(tmp_path / 'nothing', tmp_path / 'x')
    bad = subprocess.run(['randfit-student', 'x', '--src', 'nothing'], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 1 and "no lesson notebooks in 'nothing'" in bad.stderr and 'Traceback' not in bad.stderr


def test_the_lessons_saved_outputs_come_from_the_current_results_version():
    "A change that alters what runs compute bumps RESULTS_VERSION; then the lessons' outputs must be made again"
    from randfit_fai import RESULTS_VERSION
    for p in LESSONS:
        meta = json.loads(p.read_text())['metadata'].get('randfit', {})
        assert meta.get('results_version') == RESULTS_VERSION, (
            f"{p.name}'s outputs were made with results version {meta.get('results_version')}, the package computes "
            f"version {RESULTS_VERSION}: run tools/run_lessons.py (see its header) and commit the notebooks")
