"""Pure parsers of incoming files (no Django): read, recognise, validate shape, normalise.

Each parser turns one file into normalised records plus a list of :class:`Problem` naming the
file, sheet, row, column, value and the rule broken. The Django side (``soko.imports.services``)
resolves organizations and assessments, checks the catalog and commits.
"""
