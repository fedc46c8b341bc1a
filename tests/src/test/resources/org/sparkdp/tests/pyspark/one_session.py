"""Runs several of these scripts one after another in one Python process, so in one SparkSession (each script's
getOrCreate finds the one the first made), as cells of a notebook share one: the tests pay for one PySpark start
(Python, the JVM, Spark's first jobs) rather than one per script. After each script, one line "script NAME ok" or
"script NAME failed: ERROR" (its traceback on standard error); a failed script does not stop the next ones, and
the exit code is 1 if any failed. Usage: one_session.py SCRIPT ARGS... [-- SCRIPT ARGS...]"""
import runpy
import sys
import traceback

runs = [[]]
for arg in sys.argv[1:]:
    if arg == "--":
        runs.append([])
    else:
        runs[-1].append(arg)

sys.stdout.reconfigure(line_buffering=True)
failed = False
for run in runs:
    sys.argv = run
    try:
        runpy.run_path(run[0], run_name="__main__")
        print("script %s ok" % run[0].rsplit("/", 1)[-1])
    except BaseException as e:  # noqa: B036 (a script's sys.exit is a failure too)
        failed = True
        traceback.print_exc()
        print("script %s failed: %s: %s" % (run[0].rsplit("/", 1)[-1], type(e).__name__, e))
sys.exit(1 if failed else 0)
