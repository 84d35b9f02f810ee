"""Real threads for race tests: each gets its own database connection, as two web workers would."""

import threading

from django.db import connections


def run_together(count, action):
    """Run `action(i)` in `count` threads released at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        try:
            barrier.wait()
            results[index] = action(index)
        except Exception as error:  # the test inspects what went wrong
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
