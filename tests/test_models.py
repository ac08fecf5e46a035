"Networks: the paper's families and their regularizer switches"
from torch import nn
from randfit_fai.paper import create_model


def test_regularizer_switches():
    nobn = create_model('wrn-10-1-nobn', 10)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in nobn.modules())
    assert any(isinstance(m, nn.Dropout) and m.p == 0.3 for m in create_model('wrn-16-4-drop0.3', 10).modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in create_model('inception-nobn', 10).modules())
