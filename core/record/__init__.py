"""Output record (hồ sơ công vụ): one official's outputs, each figure with its evidence."""
