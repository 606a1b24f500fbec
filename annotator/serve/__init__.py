"""``annotator serve``: the annotation app in a browser, for signed-in annotators only.

``accounts`` (password hashes, one-time links, the slow-down after failures) is pure
Python and is what ``annotator users`` uses; ``web`` (the aiohttp server) and
``process`` (one app process per browser tab) need the ``serve`` extra
(``pip install 'annotator[serve]'``: textual-serve, which brings aiohttp).
"""
