"""The desktop suite: the real `MainWindow`, its parts and widgets, with qtbot."""
