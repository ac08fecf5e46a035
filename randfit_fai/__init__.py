__version__ = "0.3.0"
# Bumped whenever a change alters what runs compute (their histories): the lessons' saved outputs record the value
# they were made with (tools/run_lessons.py), and tests/test_course.py asks for them to be made again when it moves.
RESULTS_VERSION = 1

import warnings
warnings.filterwarnings('ignore', message=r'`torch\.jit\.script` is deprecated')

from .paper import RandData, corrupt_labels, randomize_pixels, Memorize, create_model, count_params
from .data import get_dataset
from .config import RunConfig
from .files import RunResult, load_run
from .training import run
from .sweeps import sweep, figure_1, table1
