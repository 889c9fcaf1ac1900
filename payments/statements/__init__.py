"""Bank statements (mutasi rekening): reading the files sellers download, and matching their credits."""
