# Presets for `gradsheet build --preset NAME` (installed as the package gradsheet.templates).
