from django.db import models


class ByteOrder(models.Func):
    """``expr COLLATE "C"`` on PostgreSQL: byte order, so that a b-tree index on it serves both
    ``LIKE 'prefix%'`` and ``ORDER BY`` whatever the database's collation is. SQLite's default
    collation already compares bytes, so there it is the bare expression."""

    template = '%(expressions)s COLLATE "C"'
    output_field = models.CharField()

    def __init__(self, expression):
        super().__init__(expression)

    def as_sqlite(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])
