"Theory helpers: degenerate inputs are refused by name, before any work"
import numpy as np, pytest
from randfit_fai.theory import fit_two_layer_relu, min_norm_solution, sgd_least_squares, kernel_fit, kernel_predict

X5, y5 = np.random.default_rng(0).random((5, 3)), np.arange(5.)

CASES = {
    'no samples': (lambda: fit_two_layer_relu(np.zeros((0, 3)), np.zeros(0)), 'X has 0 samples'),
    'one sample': (lambda: fit_two_layer_relu(np.ones((1, 3)), np.ones(1)), 'X has 1 samples'),
    'one distinct sample': (lambda: fit_two_layer_relu(np.ones((2, 3)), np.ones(2)), 'one distinct row'),
    '1-D inputs': (lambda: fit_two_layer_relu(np.ones(3), np.ones(3)), 'must be 2-D'),
    'n_directions=0': (lambda: fit_two_layer_relu(X5, y5, n_directions=0), 'n_directions must be an integer >= 1, got 0'),
    'min-norm, no samples': (lambda: min_norm_solution(np.zeros((0, 3)), np.zeros(0)), 'X has 0 samples'),
    'min-norm, 1-D': (lambda: min_norm_solution(np.ones(3), np.ones(3)), 'must be 2-D'),
    'SGD, no samples': (lambda: sgd_least_squares(np.zeros((0, 3)), np.zeros(0)), 'X has 0 samples'),
    'SGD, 1-D': (lambda: sgd_least_squares(np.ones(3), np.ones(3)), 'must be 2-D'),
    'kernel, no samples': (lambda: kernel_fit(np.zeros((0, 3)), np.zeros((0, 2))), 'X has 0 samples'),
    'kernel, 1-D': (lambda: kernel_fit(np.ones(3), np.ones(3)), 'must be 2-D'),
    'kernel, rows and labels': (lambda: kernel_fit(np.ones((3, 2)), np.ones((2, 2))), 'X has 3 rows but the labels have 2'),
}


@pytest.mark.parametrize('case', list(CASES))
def test_degenerate_inputs_are_refused_by_name(case):
    f, msg = CASES[case]
    with pytest.raises(ValueError, match=msg): f()


def test_kernel_predict_refuses_1d_inputs():
    alpha = kernel_fit(np.eye(2, 3), np.eye(2))
    with pytest.raises(ValueError, match='must be 2-D'): kernel_predict(np.eye(2, 3), alpha, np.ones(3))
