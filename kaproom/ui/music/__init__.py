"""kaproom/ui/music"""
