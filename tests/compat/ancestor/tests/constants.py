owner_email_tools_and_ux = "AzureMLI@microsoft.com"


class DatasetConstants(object):
    """Dataset related constants."""
    CATEGORICAL = 'categorical'
    CLASSES = 'classes'
    FEATURES = 'features'
    NUMERIC = 'numeric'
    X_TEST = 'x_test'
    X_TRAIN = 'x_train'
    Y_TEST = 'y_test'
    Y_TRAIN = 'y_train'


class ModelType(object):
    """Model type constants."""
    XGBOOST = 'xgboost'
    TREE = 'tree'
    DEFAULT = 'default'
