"""kaproom/ui/kit"""
