"""Reads the TensorBoard event files of a directory with TensorBoard's own reader and prints one
JSON line: {"files": N, "scalars": {tag: [[step, value, wall_time], ...]}}.

    python3 tensorboard_scalars.py RUN_DIR
"""
import json
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

directory = sys.argv[1]
accumulator = EventAccumulator(directory, size_guidance={"scalars": 0})  # 0: keep every point
accumulator.Reload()
scalars = {tag: [[e.step, e.value, e.wall_time] for e in accumulator.Scalars(tag)]
           for tag in accumulator.Tags()["scalars"]}
files = sum("tfevents" in name for name in os.listdir(directory))
print(json.dumps({"files": files, "scalars": scalars}))
