"""kaproom/services"""
