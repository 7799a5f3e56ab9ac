"""kaproom/ui/vitals"""
