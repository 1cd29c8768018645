"""Hostile submissions for the autograder (see :mod:`tests.hostile.corpus`)."""
