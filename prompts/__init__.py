"""The prompt templates, shipped inside the wheel as the package `qa.prompts`."""
