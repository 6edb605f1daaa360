"""The bottom layer for values: what every other module may import (it imports none of them).

:mod:`synthohive.values.formats` is the one list of datetime string formats and the one rule
that picks a column's format; :mod:`synthohive.values.codec` the one JSON codec for cell values
and dtypes (``synthohive.models.codecs`` raises SynthoHive's typed errors around it);
:mod:`synthohive.values.names` reads column and table labels; :mod:`synthohive.values.dtypes`
groups pandas dtypes into coarse families.
"""
