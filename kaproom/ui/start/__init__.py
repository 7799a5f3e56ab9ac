"""kaproom/ui/start"""
