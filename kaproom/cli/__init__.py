"""kaproom/cli"""
