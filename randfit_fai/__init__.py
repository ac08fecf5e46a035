__version__ = "0.3.0"
# Bumped whenever a change alters what runs compute (their histories): the lessons' saved outputs record the value
# they were made with (tools/run_lessons.py), and tests/test_course.py asks for them to be made again when it moves.
RESULTS_VERSION = 1

import warnings
warnings.filterwarnings('ignore', message=r'`torch\.jit\.script` is deprecated')

# these names load their module when first used: `import randfit_fai.paper` loads the paper alone
_WHERE = dict(paper='RandData corrupt_labels randomize_pixels Memorize create_model count_params',
              data='get_dataset', config='RunConfig', files='RunResult load_run', training='run',
              sweeps='sweep figure_1 table1')
_LAZY = {name: mod for mod, names in _WHERE.items() for name in names.split()}


def __getattr__(name):
    if name not in _LAZY: raise AttributeError(f"module 'randfit_fai' has no attribute {name!r}")
    import importlib
    return getattr(importlib.import_module(f'.{_LAZY[name]}', __name__), name)


def __dir__(): return sorted([*globals(), *_LAZY])
