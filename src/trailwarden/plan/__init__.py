"""Fix once: the desired posture (``baseline``), its cost (``cost``) and its IaC renderings."""
