"""Pages of the management cycle (thin: parse → call a service or selector → render)."""
