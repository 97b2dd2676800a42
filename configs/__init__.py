"""Run, method and study configs, shipped with the package so that ``causalmace run NAME`` finds them."""
