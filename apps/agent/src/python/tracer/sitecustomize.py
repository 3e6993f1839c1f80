"""Python imports this file at start-up because the agent puts this folder first on PYTHONPATH.

It starts the SocketScope tracer (_socketscope_trace.py) only when the agent asked for it
(SOCKETSCOPE_TRACE_FD is set), then runs the sitecustomize that Python would have run without this
folder (README.md T1): the machine's own start-up code still happens, in the same place in the order.
Nothing here may break the program: a tracer that fails to start leaves it untraced.
"""
import os as _os
import sys as _sys


def _here():
    return _os.path.dirname(_os.path.abspath(__file__))


def _same_dir(entry, here):
    try:
        return _os.path.samefile(entry or _os.curdir, here)
    except (OSError, ValueError, TypeError):
        return False


def _chain_load(here):
    """Run the next sitecustomize along sys.path, as Python's own `import sitecustomize` would have."""
    if _sys.version_info < (3, 4):
        return
    from importlib.machinery import PathFinder
    rest = [p for p in _sys.path if isinstance(p, str) and not _same_dir(p, here)]
    spec = PathFinder.find_spec('sitecustomize', rest)
    if spec is None or spec.loader is None:
        return
    import importlib.util
    module = importlib.util.module_from_spec(spec)
    # `import sitecustomize` in the program gets the machine's module, as it would without us; an error in
    # it propagates to site.py, which reports it exactly as it would have
    _sys.modules['sitecustomize'] = module
    spec.loader.exec_module(module)


def _main():
    tracer = None
    if _os.environ.get('SOCKETSCOPE_TRACE_FD') and _sys.version_info >= (3, 0):
        try:
            import _socketscope_trace as tracer
            tracer.start()
        except Exception:
            tracer = None
    try:
        _chain_load(_here())
    finally:
        if tracer is not None:
            try:
                tracer.after_site()
            except Exception:
                pass


_main()
