"""Beat This! (CPJKU, 2024; MIT): the model code only, vendored from beat-this 1.1.0."""
