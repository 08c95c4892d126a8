"""Reference wizards for bench/wizard_load.py: stock formtools over the same forms and template."""
