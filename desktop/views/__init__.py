"""Thin widgets over the controller and models."""
