"""kaproom/ui/people"""
