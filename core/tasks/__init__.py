"""Hard-task catalogue (danh mục việc khó): tasks with a responsible official and a deadline."""
