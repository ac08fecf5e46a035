__version__ = "0.2.0"

import warnings
warnings.filterwarnings('ignore', message=r'`torch\.jit\.script` is deprecated')

from .data import RandData, get_dataset, corrupt_labels, randomize_pixels
from .models import create_model, count_params
from .callbacks import Memorize
from .run import run, RunResult
from .sweep import sweep, figure_1, table1
