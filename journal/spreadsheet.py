"""What a spreadsheet reads as a formula: the exports quote such text, the import unquotes it."""

# Characters that make a spreadsheet read a cell as a formula (or strip them to reach one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
